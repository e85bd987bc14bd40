"""Start-up: the unit index and the triage rules stay out of the garbage collector's walks."""

import gc
import time

from app.main import warm_up


def test_a_full_collection_after_warm_up_does_not_walk_the_index_and_rules() -> None:
    warm_up()
    assert gc.get_freeze_count() > 100_000  # the index and the rules, frozen
    start = time.perf_counter()
    gc.collect()
    # unfrozen, one pass over them took 0.3-0.4 s and stalled every request in flight
    assert time.perf_counter() - start < 0.15
