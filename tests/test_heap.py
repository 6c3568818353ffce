"""The server's post-run full collections skip what the runs imported (core.session.heap)."""
import gc
import sys
import types

import pytest

from core.session import heap


@pytest.fixture
def fresh_heap(monkeypatch):
    monkeypatch.setattr(heap, "_modules_at_last_freeze", 0)
    yield
    gc.unfreeze()  # back to an ordinary heap for the tests after this one


def test_freezes_once_then_again_only_after_new_imports(fresh_heap, monkeypatch):
    assert heap.freeze_new_imports() is True
    assert gc.get_freeze_count() > 10_000  # the modules the test process imported, at least
    assert heap.freeze_new_imports() is False  # nothing new imported: no collection, no freeze
    monkeypatch.setitem(sys.modules, "clusterlens_test_new_module", types.ModuleType("clusterlens_test_new_module"))
    assert heap.freeze_new_imports() is True
    assert gc.get_freeze_count() > 10_000  # frozen again (less what the new collection reclaimed)


class Node:
    pass


def test_frozen_objects_are_skipped_but_new_garbage_is_still_collected(fresh_heap):
    before = Node()
    assert any(o is before for o in gc.get_objects())
    heap.freeze_new_imports()
    assert not any(o is before for o in gc.get_objects())  # frozen: no collection walks it

    a, b = Node(), Node()
    a.other, b.other = b, a  # a reference cycle: only the collector frees it
    del a, b
    assert gc.collect() >= 2


def test_a_cycle_frozen_alive_is_reclaimed_at_the_next_freeze(fresh_heap, monkeypatch):
    import weakref

    a, b = Node(), Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    heap.freeze_new_imports()  # the cycle is alive: frozen with the rest
    del a, b
    gc.collect()
    assert alive() is not None  # frozen garbage: collections skip it
    monkeypatch.setitem(sys.modules, "clusterlens_test_other_module", types.ModuleType("clusterlens_test_other_module"))
    heap.freeze_new_imports()  # unfreezes, collects, freezes again
    assert alive() is None


def test_the_app_freezes_what_a_run_imported_even_when_its_page_stops(fake_app, fresh_heap, monkeypatch):
    """The Map page ends with st.stop() when nothing is selected: code after the page never runs, so
    the app freezes as each run starts."""
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    monkeypatch.setitem(sys.modules, "clusterlens_test_run_import", types.ModuleType("clusterlens_test_run_import"))
    at.run()  # the next run (the Map page again, stopped again)
    assert not at.exception
    assert heap._modules_at_last_freeze >= len(sys.modules) - 1  # the run's import counted: frozen since
    assert gc.get_freeze_count() > 10_000
