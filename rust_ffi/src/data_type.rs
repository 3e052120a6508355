//! The element types the engine reads, with the stable codes the C ABI reports.

use zarrs::array::DataType;
use zarrs::array::data_type as dt;

/// The array's data type cannot be read into a flat buffer of fixed-size elements
/// (e.g. variable-length strings); reads fail with `ZCF_STATUS_UNSUPPORTED`.
pub const ZCF_DTYPE_UNSUPPORTED: i32 = 0;
/// `bool`: one byte, 0 or 1.
pub const ZCF_DTYPE_BOOL: i32 = 1;
/// `int8_t`.
pub const ZCF_DTYPE_INT8: i32 = 2;
/// `int16_t`.
pub const ZCF_DTYPE_INT16: i32 = 3;
/// `int32_t`.
pub const ZCF_DTYPE_INT32: i32 = 4;
/// `int64_t`.
pub const ZCF_DTYPE_INT64: i32 = 5;
/// `uint8_t`.
pub const ZCF_DTYPE_UINT8: i32 = 6;
/// `uint16_t`.
pub const ZCF_DTYPE_UINT16: i32 = 7;
/// `uint32_t`.
pub const ZCF_DTYPE_UINT32: i32 = 8;
/// `uint64_t`.
pub const ZCF_DTYPE_UINT64: i32 = 9;
/// IEEE 754 half precision, two bytes (C has no standard type for it).
pub const ZCF_DTYPE_FLOAT16: i32 = 10;
/// `float`.
pub const ZCF_DTYPE_FLOAT32: i32 = 11;
/// `double`.
pub const ZCF_DTYPE_FLOAT64: i32 = 12;
/// Two `float`s, real then imaginary (`float _Complex`).
pub const ZCF_DTYPE_COMPLEX64: i32 = 13;
/// Two `double`s, real then imaginary (`double _Complex`).
pub const ZCF_DTYPE_COMPLEX128: i32 = 14;

/// A fixed-size element type with a numpy equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementType {
    /// One of the `ZCF_DTYPE_*` codes.
    pub code: i32,
    /// Bytes per element.
    pub size: usize,
}

impl ElementType {
    /// Maps a zarrs data type to the engine's element type, or `None` when the engine
    /// cannot read it into a flat buffer of fixed-size elements.
    pub fn from_data_type(data_type: &DataType) -> Option<Self> {
        let code = if data_type.is::<dt::BoolDataType>() {
            ZCF_DTYPE_BOOL
        } else if data_type.is::<dt::Int8DataType>() {
            ZCF_DTYPE_INT8
        } else if data_type.is::<dt::Int16DataType>() {
            ZCF_DTYPE_INT16
        } else if data_type.is::<dt::Int32DataType>() {
            ZCF_DTYPE_INT32
        } else if data_type.is::<dt::Int64DataType>() {
            ZCF_DTYPE_INT64
        } else if data_type.is::<dt::UInt8DataType>() {
            ZCF_DTYPE_UINT8
        } else if data_type.is::<dt::UInt16DataType>() {
            ZCF_DTYPE_UINT16
        } else if data_type.is::<dt::UInt32DataType>() {
            ZCF_DTYPE_UINT32
        } else if data_type.is::<dt::UInt64DataType>() {
            ZCF_DTYPE_UINT64
        } else if data_type.is::<dt::Float16DataType>() {
            ZCF_DTYPE_FLOAT16
        } else if data_type.is::<dt::Float32DataType>() {
            ZCF_DTYPE_FLOAT32
        } else if data_type.is::<dt::Float64DataType>() {
            ZCF_DTYPE_FLOAT64
        } else if data_type.is::<dt::Complex64DataType>()
            || data_type.is::<dt::ComplexFloat32DataType>()
        {
            ZCF_DTYPE_COMPLEX64
        } else if data_type.is::<dt::Complex128DataType>()
            || data_type.is::<dt::ComplexFloat64DataType>()
        {
            ZCF_DTYPE_COMPLEX128
        } else {
            return None;
        };
        Some(Self {
            code,
            size: data_type.fixed_size()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_fixed_size_types_and_rejects_strings() {
        let uint16 = ElementType::from_data_type(&dt::uint16()).unwrap();
        assert_eq!((uint16.code, uint16.size), (ZCF_DTYPE_UINT16, 2));
        let complex = ElementType::from_data_type(&dt::complex128()).unwrap();
        assert_eq!((complex.code, complex.size), (ZCF_DTYPE_COMPLEX128, 16));
        assert_eq!(ElementType::from_data_type(&dt::string()), None);
    }
}
