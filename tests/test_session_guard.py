"""One heavy job per session (issue 17, item 6): a new run of a session waits for the previous one."""
import threading
import time

from pages._common import acquire_patiently


def test_a_second_run_waits_for_the_first_to_release_the_session():
    lock, order, waits = threading.Lock(), [], []
    lock.acquire()  # the first run, still computing

    def second_run():
        acquire_patiently(lock, lambda: waits.append(time.monotonic()), poll=0.05)
        order.append("second computes")
        lock.release()

    thread = threading.Thread(target=second_run)
    thread.start()
    time.sleep(0.3)
    assert order == [] and len(waits) >= 2  # waiting, with a visible note, not computing alongside
    order.append("first stops")
    lock.release()
    thread.join(timeout=5)
    assert order == ["first stops", "second computes"]
