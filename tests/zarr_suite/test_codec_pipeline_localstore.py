"""zarr-python's shared codec pipeline behaviour tests, run for ZarrsCodecPipeline on a
LocalStore (the store it reads natively). Copied next to zarr's own suite and run there."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.test_codec_pipeline_suite import CodecPipelineTests
from zarr.storage import LocalStore


class TestZarrsCffiPipelineOnLocalStore(CodecPipelineTests):
    pipeline_path = "zarrs_cffi.ZarrsCodecPipeline"

    @pytest.fixture(params=["local"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> LocalStore:
        return LocalStore(str(tmp_path / "store"))
