"""The worker's call options: the random orders a call drew, noted without changing a draw; names replaced for a call.

The recording twins must be invisible to the code they run: the same numbers drawn, the same
results, the state shared with generators that existed before the call, and everything put back after.
"""

from __future__ import annotations

import random
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradekit.course import Limits
from gradekit.grade.proxies import ReferenceProxy
from gradekit.sandbox.runner import draws
from gradekit.sandbox.runner.wire import Fn
from gradekit.sandbox.worker import Worker

# Ways a submission shuffles n items, each a statement leaving the shuffled index array in `order`.
SHUFFLES = {
    "np.random.permutation": "order = np.random.permutation(n)",
    "np.random.shuffle": "order = np.arange(n); np.random.shuffle(order)",
    "np.random.permutation of an array": "order = np.random.permutation(np.arange(n) * 1.0).astype(int)",
    "np.random.choice": "order = np.random.choice(n, n, replace=False)",
    "from numpy.random import permutation": "order = PERMUTATION(n)",
    "default_rng().permutation": "order = np.random.default_rng(SEED).permutation(n)",
    "default_rng().shuffle": "order = np.arange(n); np.random.default_rng(SEED).shuffle(order)",
    "default_rng().shuffle of rows": "rows = np.arange(2 * n).reshape(n, 2); np.random.default_rng(SEED).shuffle(rows)"
                                     "; order = rows[:, 0] // 2",
    "default_rng().permuted": "order = np.random.default_rng(SEED).permuted(np.arange(n))",
    "default_rng() unseeded": "order = np.random.default_rng().permutation(n)",
    "module-level Generator": "order = RNG.permutation(n)",
    "module-level RandomState": "order = RS.permutation(n)",
    "RandomState(seed)": "order = np.random.RandomState(SEED).permutation(n)",
    "random.shuffle": "order = list(range(n)); random.shuffle(order); order = np.array(order)",
    "random.sample": "order = np.array(random.sample(range(n), n))",
    "random.Random(seed).shuffle": "order = list(range(n)); random.Random(SEED).shuffle(order); order = np.array(order)",
    "module-level random.Random": "order = list(range(n)); R.shuffle(order); order = np.array(order)",
}


def submission(statement: str, seed: int) -> types.ModuleType:
    """A module whose draw(n) shuffles n items by `statement` and returns the order and the next random number."""
    module = types.ModuleType("submission")
    source = (f"import random\nimport numpy as np\nfrom numpy.random import permutation as PERMUTATION\n"
              f"SEED = {seed}\nRNG = np.random.default_rng(SEED)\nRS = np.random.RandomState(SEED)\n"
              f"R = random.Random(SEED)\n"
              f"def draw(n):\n    {statement}\n"
              f"    return order, (np.random.random(), RNG.random(), RS.random(), R.random(), random.random())\n")
    exec(compile(source, "submission.py", "exec"), module.__dict__)
    return module


def run(statement: str, seed: int, n: int, record: bool):
    np.random.seed(seed)
    random.seed(seed)
    module = submission(statement, seed)
    if not record:
        return module.draw(n), None
    with draws.recording([module.__dict__]) as log:
        return module.draw(n), log


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(SHUFFLES)), st.integers(0, 2**31 - 1), st.integers(2, 40))
def test_recording_draws_the_same_numbers_and_notes_the_order(way, seed, n):
    if way == "default_rng() unseeded":  # fresh OS entropy: compare what was noted with what was applied only
        (order, _), log = run(SHUFFLES[way], seed, n, record=True)
    else:
        (plain, after), _ = run(SHUFFLES[way], seed, n, record=False)
        (order, after_recorded), log = run(SHUFFLES[way], seed, n, record=True)
        assert np.array_equal(plain, order) and after == after_recorded
    assert len(log.orders) == 1 and np.array_equal(log.orders[0], order), way


def test_everything_is_put_back_after_the_call():
    before = (np.random.permutation, np.random.shuffle, np.random.default_rng, np.random.RandomState,
              random.shuffle, random.sample, random.Random)
    module = submission(SHUFFLES["module-level Generator"], 3)
    rng, state, r = module.RNG, module.RS, module.R
    with pytest.raises(ZeroDivisionError), draws.recording([module.__dict__]):
        assert np.random.RandomState is not before[3] and module.RNG is not rng
        assert isinstance(np.random.mtrand._rand, np.random.RandomState)  # an existing one still is an instance
        1 / 0
    assert (np.random.permutation, np.random.shuffle, np.random.default_rng, np.random.RandomState,
            random.shuffle, random.sample, random.Random) == before
    assert (module.RNG, module.RS, module.R) == (rng, state, r) and type(r) is random.Random
    assert not draws.ACTIVE


def test_a_generator_made_during_the_call_keeps_working_after_it_noting_nothing():
    with draws.recording([]) as log:
        rng = np.random.default_rng(1)
    assert isinstance(rng, np.random.Generator)
    assert np.array_equal(rng.permutation(5), np.random.default_rng(1).permutation(5)) and log.orders == []


def test_other_draws_and_unsupported_arguments_are_left_alone():
    with draws.recording([]) as log:
        np.random.choice([3, 4, 5], 2)  # a population of values: no indices to note
        np.random.default_rng(0).integers(0, 5, size=5)
        with pytest.raises(IndexError):
            np.random.permutation(np.array(3.0))  # NumPy's own error, from NumPy's own function
        np.random.default_rng(0).shuffle(np.arange(12).reshape(3, 4), axis=1)
    assert [len(o) for o in log.orders] == [4]


def test_the_orders_are_capped(monkeypatch):
    monkeypatch.setattr(draws, "MAX_ORDERS", 3)
    with draws.recording([]) as log:
        for _ in range(5):
            np.random.permutation(4)
    assert len(log.orders) == 3 and log.truncated
    monkeypatch.setattr(draws, "MAX_ENTRIES", 10)
    with draws.recording([]) as log:
        np.random.permutation(11)
    assert log.orders == [] and log.truncated and log.reply()["truncated"] is True


# -- through the worker ------------------------------------------------------------------------------

STUDENT = '''
import numpy as np

def softmax(Z):
    raise NotImplementedError("softmax")

def forward(Z):
    return softmax(Z)

def shuffled(n, epochs):
    rng = np.random.default_rng()
    return [rng.permutation(n) for _ in range(epochs)]
'''
HELPERS = "import numpy as np\n\ndef softmax(z):\n    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "student.py").write_text(STUDENT)
    with Worker(folder, ["student"], Limits(call_timeout_s=30), helpers=HELPERS) as worker:
        yield worker


def test_the_worker_sends_back_the_orders_a_call_drew(worker):
    result = worker.call("student", "shuffled", (12, 3), {}, draws=True)
    assert result.error is None and len(result.draws) == 3 and not result.draws_truncated
    assert all(np.array_equal(d, v) for d, v in zip(result.draws, result.value))
    assert worker.call("student", "shuffled", (12, 3), {}).draws is None  # only when asked


def test_a_name_replaced_for_one_call_is_restored_after_it(worker):
    Z = np.array([[1.0, 2.0], [0.0, 0.0]])
    fixed = worker.call("student", "forward", (Z,), {}, replace={"softmax": Fn("softmax")})
    assert fixed.error is None and np.allclose(fixed.value, np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True))
    assert worker.call("student", "forward", (Z,), {}).error.type == "NotImplementedError"
    refused = worker.call("student", "forward", (Z,), {}, replace={"softmax": Fn("not_a_helper")})
    assert refused.error.type == "BadRequest"


def test_the_reference_side_records_and_replaces_the_same_way():
    module = types.ModuleType("reference_like")
    exec(compile(STUDENT, "reference_like.py", "exec"), module.__dict__)
    helpers = {"softmax": lambda z: z * 0 + 0.5}
    proxy = ReferenceProxy({k: getattr(module, k) for k in ("forward", "shuffled")}, helpers)
    result = proxy.call("shuffled", 5, 2, draws=True)
    assert [list(d) for d in result.draws] == [list(v) for v in result.value]
    assert np.all(proxy.call("forward", np.zeros((1, 2)), replace={"softmax": Fn("softmax")}).value == 0.5)
    with pytest.raises(NotImplementedError):
        proxy.forward(np.zeros((1, 2)))
