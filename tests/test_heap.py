"""The server's post-run full collections skip what the runs imported (core.heap)."""
import gc
import sys
import types

import pytest

from core import heap


@pytest.fixture
def fresh_heap(monkeypatch):
    monkeypatch.setattr(heap, "_modules_at_last_freeze", 0)
    yield
    gc.unfreeze()  # back to an ordinary heap for the tests after this one


def test_freezes_once_then_again_only_after_new_imports(fresh_heap, monkeypatch):
    assert heap.freeze_new_imports() is True
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules the test process imported, at least
    assert heap.freeze_new_imports() is False  # nothing new imported: no collection, no freeze
    monkeypatch.setitem(sys.modules, "clusterlens_test_new_module", types.ModuleType("clusterlens_test_new_module"))
    assert heap.freeze_new_imports() is True
    assert gc.get_freeze_count() >= frozen


def test_frozen_objects_are_skipped_but_new_garbage_is_still_collected(fresh_heap):
    heap.freeze_new_imports()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a reference cycle: only the collector frees it
    del a, b
    assert gc.collect() >= 2
