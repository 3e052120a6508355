//! The benchmark suite's pure-Rust baseline: the scenarios of `benchmarks/readers.py`,
//! read with the `zarrs` crate directly (its own API and thread pool, no FFI, no Python).
//!
//! ```text
//! cargo run --release --example zarrs_baseline -- DATA_DIR LAYOUTS SCENARIOS REPEATS
//! ```
//!
//! `LAYOUTS` and `SCENARIOS` are comma-separated. Prints the same JSON report as
//! `readers.py`: per layout and scenario the timings, a digest of the values read and the
//! peak memory of the whole-array read. zarrs has no strided or integer-array selection,
//! so those scenarios read one subset per selected plane or row, as a zarrs user would.

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use zarrs::array::{Array, ArraySubset};
use zarrs::filesystem::FilesystemStore;

type Reads = Vec<Vec<Range<u64>>>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data, layouts, scenarios, repeats] = args.as_slice() else {
        eprintln!("usage: zarrs_baseline DATA_DIR LAYOUTS SCENARIOS REPEATS");
        std::process::exit(2);
    };
    let repeats: usize = repeats.parse().expect("REPEATS is a number");
    let plan_text = std::fs::read_to_string(format!("{data}/selections.json"))
        .expect("selections.json is readable");
    let plan: Value = serde_json::from_str(&plan_text).expect("selections.json is JSON");

    let (mut times, mut digests, mut memory) = (Map::new(), Map::new(), Map::new());
    for layout in layouts.split(',') {
        let open = |name: &str| {
            let path = plan["layouts"][layout][name].as_str().expect("layout path");
            let store = Arc::new(FilesystemStore::new(path).expect("store opens"));
            Array::open(store, "/").expect("array opens")
        };
        let (volume, matrix) = (open("volume"), open("matrix"));
        let (mut layout_times, mut layout_digests) = (Map::new(), Map::new());
        for scenario in scenarios.split(',') {
            let array = if scenario == "rows" { &matrix } else { &volume };
            let reads = scenario_reads(&plan, layout, scenario);
            // Untimed pass: the digest, and the peak memory of the whole-array read.
            if scenario == "whole" {
                std::fs::write("/proc/self/clear_refs", "5").expect("peak RSS reset");
                let before = status_kib("VmRSS");
                let values = read(array, &reads[0]);
                memory.insert(
                    layout.to_string(),
                    json!({"before_kib": before, "peak_kib": status_kib("VmHWM"),
                           "output_bytes": values.len() * 2}),
                );
            }
            let digest = read_all(array, &reads, scenario);
            layout_digests.insert(scenario.to_string(), json!(digest.to_string()));
            let samples: Vec<f64> = (0..repeats)
                .map(|_| {
                    let start = Instant::now();
                    read_all(array, &reads, scenario);
                    start.elapsed().as_secs_f64()
                })
                .collect();
            layout_times.insert(scenario.to_string(), json!(samples));
        }
        times.insert(layout.to_string(), Value::Object(layout_times));
        digests.insert(layout.to_string(), Value::Object(layout_digests));
    }
    println!(
        "{}",
        json!({"times": times, "digests": digests, "memory": memory})
    );
}

fn read(array: &Array<FilesystemStore>, ranges: &[Range<u64>]) -> Vec<u16> {
    array
        .retrieve_array_subset::<Vec<u16>>(&ArraySubset::new_with_ranges(ranges))
        .expect("subset reads")
}

/// Reads every subset of a scenario and returns the digest `readers.py` computes.
/// For `strided` and `rows` the subsets are the planes or rows of one logical read.
fn read_all(array: &Array<FilesystemStore>, reads: &Reads, scenario: &str) -> u64 {
    let one_logical_read = matches!(scenario, "rows" | "strided");
    let (mut total, mut inner, mut position) = (0u64, 0u64, 0u64);
    for (i, ranges) in reads.iter().enumerate() {
        let values = read(array, ranges);
        if !one_logical_read {
            position = 0;
            inner = 0;
        }
        for value in values {
            inner = inner.wrapping_add(u64::from(value).wrapping_mul(position % 251 + 1));
            position += 1;
        }
        if !one_logical_read {
            total = total.wrapping_add(inner.wrapping_mul(i as u64 % 65521 + 1));
        }
    }
    if one_logical_read { inner } else { total }
}

fn scenario_reads(plan: &Value, layout: &str, scenario: &str) -> Reads {
    let numbers = |value: &Value| -> Vec<u64> {
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|n| n.as_u64().expect("a count"))
            .collect()
    };
    let shape = numbers(&plan["geometry"]["volume"]["shape"]);
    let full = |axis: usize| 0..shape[axis];
    match scenario {
        "whole" => vec![(0..3).map(full).collect()],
        "chunks" => {
            let unit = numbers(&plan["layouts"][layout]["unit"]);
            let mut reads = Vec::new();
            for z in (0..shape[0]).step_by(unit[0] as usize) {
                for y in (0..shape[1]).step_by(unit[1] as usize) {
                    for x in (0..shape[2]).step_by(unit[2] as usize) {
                        let span = |o: u64, axis: usize| o..(o + unit[axis]).min(shape[axis]);
                        reads.push(vec![span(z, 0), span(y, 1), span(x, 2)]);
                    }
                }
            }
            reads
        }
        "boxes" => {
            let edge = plan["box"].as_u64().expect("box edge");
            let boxes = plan["boxes"].as_array().expect("boxes");
            boxes
                .iter()
                .map(|start| numbers(start).into_iter().map(|s| s..s + edge).collect())
                .collect()
        }
        "points" => {
            let points = plan["points"].as_array().expect("points");
            points
                .iter()
                .map(|point| numbers(point).into_iter().map(|p| p..p + 1).collect())
                .collect()
        }
        "rows" => {
            let columns = numbers(&plan["geometry"]["matrix"]["shape"])[1];
            numbers(&plan["rows"])
                .into_iter()
                .map(|row| vec![row..row + 1, 0..columns])
                .collect()
        }
        "strided" => {
            let stride = plan["stride"].as_u64().expect("stride");
            (0..shape[0])
                .step_by(stride as usize)
                .map(|z| vec![z..z + 1, full(1), full(2)])
                .collect()
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with(&format!("{field}:")))
        .expect("field in /proc/self/status");
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number")
}
