"""The corpus's tf_slim reference: one TF1-graph-mode subprocess for the whole session."""

from __future__ import annotations

import pytest
from _corpus_peer import SPECS, run_tfslim_corpus


@pytest.fixture(scope="session")
def tfslim_corpus(tmp_path_factory):
    """tf_slim's ``Reference`` of every corpus model, by spec id."""
    return run_tfslim_corpus(SPECS, tmp_path_factory.mktemp("corpus_tfslim"))
