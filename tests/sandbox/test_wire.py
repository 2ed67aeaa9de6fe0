"""The wire format: plain data round-trips; anything else is refused with WireError, never another error."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from gradekit.content import helper_functions, helpers_source
from gradekit.layout import KitPaths
from gradekit.sandbox.runner import wire
from gradekit.sandbox.runner.wire import Fn, WireError

FUNCTIONS = helper_functions(helpers_source(KitPaths(Path(__file__).resolve().parents[2])))

# -- strategies ----------------------------------------------------------------------------------------
dtypes = st.sampled_from(sorted(wire.ARRAY_DTYPES)).map(np.dtype)
numeric_arrays = dtypes.flatmap(lambda dtype: arrays(dtype, array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                                         max_side=5)))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(), st.text(max_size=20))
plain_values = st.recursive(
    st.one_of(scalars, numeric_arrays),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
TAGS = ["__nd__", "__tuple__", "__dict__", "__figure__", "__fn__", "__float__", "__other__"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=10), st.sampled_from(["nan", "inf", "<f8", "|O", "AAAA", "sigmoid"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(TAGS), st.text(max_size=5)), inner, max_size=3)),
    max_leaves=15,
)


def through_the_wire(value, functions=None):
    """encode, frame as JSON bytes, parse, decode: what the other side rebuilds."""
    body = json.dumps({"value": wire.encode(value)}).encode()
    return wire.decode(wire.parse_message(body)["value"], functions=functions)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
                and a.tobytes() == b.tobytes())
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# -- round trips ---------------------------------------------------------------------------------------
@given(numeric_arrays)
def test_numeric_arrays_round_trip_exactly(array):
    assert same(array, through_the_wire(array))


@given(plain_values)
def test_nested_plain_values_round_trip(value):
    assert same(value, through_the_wire(value))


@given(numeric_arrays)
def test_array_subclasses_and_views_arrive_as_plain_arrays(array):
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    back = through_the_wire(array.view(Liar))
    assert type(back) is np.ndarray and back.tobytes() == np.ascontiguousarray(array).tobytes()
    masked = through_the_wire(np.ma.masked_all(array.shape, dtype=array.dtype) if array.size else array)
    assert type(masked) is np.ndarray


def test_named_functions_resolve_only_where_a_table_is_given():
    assert through_the_wire(Fn("sigmoid"), functions=FUNCTIONS) is FUNCTIONS["sigmoid"]
    with pytest.raises(WireError):
        through_the_wire(Fn("sigmoid"))
    with pytest.raises(WireError):
        through_the_wire(Fn("os.system"), functions=FUNCTIONS)


def test_messages_are_framed_and_capped():
    stream = io.BytesIO()
    wire.write_message(stream, {"ok": True, "value": wire.encode(np.arange(3.0))})
    data = stream.getvalue()
    (size,) = wire.HEADER.unpack(data[:wire.HEADER.size])
    assert size == len(data) - wire.HEADER.size
    assert same(wire.decode(wire.parse_message(data[wire.HEADER.size:])["value"]), np.arange(3.0))
    with pytest.raises(WireError, match="at most 1 MB"):
        wire.write_message(io.BytesIO(), {"value": wire.encode(np.zeros(200_000))}, limit=1 << 20)


# -- refusals: encode ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    np.array([object()]), np.array(["text"]), np.zeros(2, dtype=">f8"), object(), b"pickle", {1: 2},
    2**64, -2**63 - 1, 1 + 2j, [[[[[[[[[[[[[[0]]]]]]]]]]]]]],
], ids=["object-array", "str-array", "big-endian", "object", "bytes", "int-keys", "int-too-big", "int-too-small",
        "complex", "too-deep"])
def test_encode_refuses_what_is_not_plain_numbers(value):
    with pytest.raises(WireError):
        wire.encode(value)


# -- refusals: decode ----------------------------------------------------------------------------------
B64_8 = "AAAAAAAAAAA="  # 8 zero bytes


@pytest.mark.parametrize("data", [
    {"__nd__": ["|O", [1], B64_8]},  # object dtype
    {"__nd__": ["<U1", [2], B64_8]},  # strings
    {"__nd__": [["<f8"], [1], B64_8]},  # unhashable dtype
    {"__other__": 1},  # unknown tag
    {"__nd__": ["<f8", [1], B64_8], "__tuple__": []},  # two tags
    {},
    {"__nd__": ["<f8", [-1], B64_8]},  # negative dimension
    {"__nd__": ["<f8", [1.0], B64_8]},  # float dimension
    {"__nd__": ["<f8", [True], B64_8]},  # bool dimension
    {"__nd__": ["<f8", "1", B64_8]},  # shape not a list
    {"__nd__": ["<f8", [1] * 9, B64_8]},  # too many dimensions
    {"__nd__": ["<f8", [2**70, 0], ""]},  # a dimension too large
    {"__nd__": ["<f8", [2], B64_8]},  # 8 bytes for 16
    {"__nd__": ["<f8", [1], "not base64!"]},
    {"__nd__": ["<f8", [1], 12345]},  # data not a string
    {"__nd__": ["<f8", [1]]},  # missing data
    {"__nd__": ["<f8", [1], "ü"]},  # not ascii
    {"__float__": "1e999"},  # only nan, inf, -inf travel as names
    {"__fn__": ["sigmoid"]},
    {"__figure__": {"axes": [{"title": "t", "images": [5]}]}},
    {"__figure__": {"axes": [{"title": "t", "images": []}], "png": {"__nd__": 1}}},
    {"__figure__": {"axes": [{"title": 1, "images": []}]}},
    {"__figure__": {"axes": [{}] * 65}},
    2**64,  # an integer numpy cannot hold
    json.loads("[" * 20 + "]" * 20),  # nesting deeper than MAX_DEPTH
], ids=repr)
def test_decode_refuses_malformed_data(data):
    with pytest.raises(WireError):
        wire.decode(data)


@settings(max_examples=300)
@given(json_values)
def test_decode_raises_nothing_but_wire_errors(data):
    try:
        wire.decode(data, functions=FUNCTIONS)
    except WireError:
        pass


# -- refusals: parse_message ---------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b'{"value": NaN}', b'{"value": Infinity}', b'{"value": -Infinity}', b'{"value": 1e999}',
    b"[1, 2]", b'"text"', b"not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
    b'{"value": [' + b"{}," * 1_000_000 + b'{}]}',
], ids=["nan", "infinity", "-infinity", "overflow", "list", "string", "garbage", "not-utf8", "deep", "too-many"])
def test_parse_message_refuses_what_is_not_a_plain_message(body):
    with pytest.raises(WireError):
        wire.parse_message(body)


@given(st.binary(max_size=200))
def test_parse_message_raises_nothing_but_wire_errors(body):
    try:
        assert isinstance(wire.parse_message(body), dict)
    except WireError:
        pass
