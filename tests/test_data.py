"""Data: seeded generators, the bundled digits, the split and the mini-batches."""

from __future__ import annotations

import collections
import math
import random
import socket

import pytest

from autograd import data

GENERATORS = [data.make_moons, data.make_circles, data.make_spirals, data.make_xor]


class TestGenerators:
    @pytest.mark.parametrize("make", GENERATORS)
    def test_seeded_and_independent_of_the_global_random_state(self, make):
        state = random.getstate()
        first = make(50, noise=0.1, seed=3)
        random.seed(12345)
        second = make(50, noise=0.1, seed=3)
        random.setstate(state)
        assert first == second
        assert make(50, noise=0.1, seed=4) != first

    @pytest.mark.parametrize("make", GENERATORS)
    def test_shapes_and_balanced_labels(self, make):
        inputs, labels = make(101, noise=0.1, seed=0)
        assert len(inputs) == len(labels) == 101
        assert all(len(x) == 2 and all(isinstance(v, float) for v in x) for x in inputs)
        counts = collections.Counter(labels)
        assert sorted(counts) == [0, 1]
        assert abs(counts[0] - counts[1]) <= 1

    def test_noise_free_moons_lie_on_their_half_circles(self):
        inputs, labels = data.make_moons(40, noise=0.0, seed=2)
        for (x, y), label in zip(inputs, labels):
            if label == 0:  # (cos a, sin a)
                assert math.hypot(x, y) == pytest.approx(1.0) and y >= 0
            else:  # (1 - cos a, 0.5 - sin a)
                assert math.hypot(x - 1.0, y - 0.5) == pytest.approx(1.0) and y <= 0.5

    def test_noise_free_circles_have_their_radii(self):
        inputs, labels = data.make_circles(30, noise=0.0, factor=0.3, seed=1)
        for point, label in zip(inputs, labels):
            assert math.hypot(*point) == pytest.approx(1.0 if label == 0 else 0.3)

    def test_xor_labels_differ_in_sign(self):
        inputs, labels = data.make_xor(40, noise=0.0, seed=0)
        assert all(label == int(x * y < 0) for (x, y), label in zip(inputs, labels))

    def test_spirals_with_three_arms(self):
        _, labels = data.make_spirals(90, classes=3, seed=0)
        assert collections.Counter(labels) == {0: 30, 1: 30, 2: 30}

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="make_moons: n must be an integer >= 1"):
            data.make_moons(0)
        with pytest.raises(ValueError, match="noise must be a number >= 0"):
            data.make_xor(10, noise=-1.0)


class TestDigits:
    def test_size_and_classes_match_the_uci_description(self):
        inputs, labels = data.load_digits()
        assert len(inputs) == len(labels) == 1797
        assert all(len(x) == 64 for x in inputs)
        # class distribution of the UCI test file optdigits.tes
        assert collections.Counter(labels) == {0: 178, 1: 182, 2: 177, 3: 183, 4: 181,
                                               5: 182, 6: 181, 7: 179, 8: 174, 9: 180}

    def test_pixels_are_counts_0_to_16_and_scaling_divides_by_16(self):
        raw, _ = data.load_digits(scaled=False)
        scaled, _ = data.load_digits()
        values = {v for row in raw for v in row}
        assert values <= {float(k) for k in range(17)}
        assert min(values) == 0.0 and max(values) == 16.0
        assert scaled[5] == [v / 16 for v in raw[5]]

    def test_loads_without_network(self, monkeypatch):
        def refuse(*args, **kwargs):
            raise AssertionError("load_digits tried to open a socket")

        monkeypatch.setattr(socket, "socket", refuse)
        inputs, _ = data.load_digits()
        assert len(inputs) == 1797


class TestSplit:
    def test_stratified_disjoint_and_complete(self):
        inputs = [[float(i)] for i in range(100)]
        labels = [i % 4 for i in range(100)]
        split = data.train_test_split(inputs, labels, test_fraction=0.2, seed=1)
        train_ids = [x[0] for x in split.train_inputs]
        test_ids = [x[0] for x in split.test_inputs]
        assert sorted(train_ids + test_ids) == [float(i) for i in range(100)]
        assert collections.Counter(split.test_labels) == {0: 5, 1: 5, 2: 5, 3: 5}
        assert [int(x) % 4 for x in test_ids] == split.test_labels

    def test_fixed_by_the_seed(self):
        inputs, labels = data.make_moons(60, seed=0)
        a = data.train_test_split(inputs, labels, seed=5)
        assert a == data.train_test_split(inputs, labels, seed=5)
        assert a != data.train_test_split(inputs, labels, seed=6)

    def test_bad_fraction(self):
        with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
            data.train_test_split([[0.0]], [0], test_fraction=1.0)


class TestBatches:
    def test_every_example_once_per_pass_and_reshuffled(self):
        inputs = [[float(i)] for i in range(10)]
        batches = data.Batches(inputs, list(range(10)), batch_size=4, seed=0)
        assert len(batches) == 3
        passes = []
        for _ in range(3):
            sizes, seen = [], []
            for xb, yb in batches:
                sizes.append(len(yb))
                seen.extend(yb)
                assert [x[0] for x in xb] == [float(y) for y in yb]
            assert sizes == [4, 4, 2]
            assert sorted(seen) == list(range(10))
            passes.append(seen)
        assert len({tuple(p) for p in passes}) == 3

    def test_same_seed_same_order(self):
        def orders(seed):
            batches = data.Batches([[0.0]] * 8, list(range(8)), batch_size=3, seed=seed)
            return [[y for _, yb in batches for y in yb] for _ in range(2)]

        assert orders(1) == orders(1)
        assert orders(1) != orders(2)

    def test_without_shuffle_keeps_the_order(self):
        batches = data.Batches([[0.0]] * 5, list(range(5)), batch_size=2, shuffle=False)
        assert [yb for _, yb in batches] == [[0, 1], [2, 3], [4]]
