"""The suppression strength of the denoiser (chapter 8): its definition, and what it does to the release
model's output on a real FSDD clip in a real recorded noise."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from digitdenoise import inference, metrics, training
from digitdenoise.errors import ParameterError

STRENGTHS = (1.0, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.0)



@pytest.fixture(scope="module")
def noisy_clip(data_home):
    """A real FSDD digit in a real recording (a running tap) at 0 dB SNR, at the model's 8 kHz."""
    import librosa

    from digitdenoise import noise

    clip, sr = sf.read(data_home / "fsdd" / "recordings" / "6_jackson_2.wav", dtype="float32")
    tap, tap_sr = sf.read(data_home / "noise" / "running_tap.wav", dtype="float32", always_2d=True)
    tap = librosa.resample(tap.mean(axis=1), orig_sr=tap_sr, target_sr=sr)
    start = tap.size // 3
    noisy, _ = noise.mix_at_snr(clip, tap[start:start + clip.size], 0.0)
    return clip, noisy.astype(np.float32), sr


def test_check_strength_accepts_0_to_1_and_names_the_parameter():
    assert inference.check_strength(0) == 0.0 and inference.check_strength("0.5") == 0.5
    assert inference.check_strength(" 1 ") == 1.0 and inference.check_strength(np.float32(0.25)) == 0.25
    for bad in (1.5, -0.1, "abc", "", None, float("nan"), float("inf"), True, [0.5]):
        with pytest.raises(ParameterError, match=r"strength must be a number from 0 to 1 .*got"):
            inference.check_strength(bad)
    with pytest.raises(ParameterError, match=r"^--strength must be a number from 0 to 1"):
        inference.check_strength("abc", "--strength")


def test_strength_formula_and_attenuation_limit():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 1000)).astype(np.float32)
    assert inference.apply_strength(x, y, 1.0) is y  # today's output, the very array
    np.testing.assert_array_equal(inference.apply_strength(x, y, 0.0), x)
    for s in (0.1, 0.5, 0.9):
        f = (1 - s) ** 3
        np.testing.assert_allclose(inference.apply_strength(x, y, s), f * x + (1 - f) * y, rtol=1e-6, atol=1e-6)
        assert inference.attenuation_limit_db(s) == pytest.approx(60 * np.log10(1 / (1 - s)))
    assert str(inference.attenuation_limit_db(0.0)) == "0.0" and inference.attenuation_limit_db(1.0) == float("inf")
    assert inference.attenuation_limit_db(0.5) == pytest.approx(18.06, abs=0.01)
    # a bin the model removes entirely keeps exactly the input share f: the attenuation limit
    f = inference.input_share(0.5)
    np.testing.assert_allclose(inference.apply_strength(x, np.zeros_like(x), 0.5), f * x, rtol=1e-6)
    with pytest.raises(ParameterError, match="differ in shape"):
        inference.apply_strength(x, y[:10], 0.5)
    with pytest.raises(ParameterError, match="strength must be a number from 0 to 1"):
        inference.apply_strength(x, y, 2.0)


def test_strength_1_is_bit_identical_to_the_present_output(enhancer, noisy_clip):
    _, noisy, sr = noisy_clip
    # the present pipeline at the model's rate, spelled out: the model, then the do-no-harm guard
    present = inference.no_harm_guard(noisy, training.denoise_signals(enhancer.model, [noisy], precision="float32")[0])
    np.testing.assert_array_equal(enhancer.enhance(noisy, sr), present)
    np.testing.assert_array_equal(enhancer.enhance(noisy, sr, strength=1.0), present)
    np.testing.assert_array_equal(enhancer.enhance(noisy, sr, strength="1"), present)
    # through resampling too (a 16 kHz input)
    import librosa

    wide = librosa.resample(noisy, orig_sr=sr, target_sr=16000)
    np.testing.assert_array_equal(enhancer.enhance(wide, 16000, strength=1.0), enhancer.enhance(wide, 16000))


@pytest.mark.parametrize("guard", [True, False])
def test_strength_0_returns_the_input(enhancer, noisy_clip, data_home, guard):
    import librosa

    _, noisy, sr = noisy_clip
    use = enhancer if guard else inference.Enhancer(model=enhancer.model, precision="float32", guard_db=None)
    np.testing.assert_allclose(use.enhance(noisy, sr, strength=0.0), noisy, rtol=0, atol=1e-7)
    wide = librosa.resample(noisy, orig_sr=sr, target_sr=44100)  # resampled to 8 kHz and back, yet the input
    outs = use.enhance_many([wide, noisy], [44100, sr], strength=0.0)
    np.testing.assert_allclose(outs[0], wide, rtol=0, atol=1e-7)
    np.testing.assert_allclose(outs[1], noisy, rtol=0, atol=1e-7)
    # the strength really changes something: at full strength the output is far from the input
    assert metrics.si_sdr_db(noisy, use.enhance(noisy, sr)) < 15.0


def test_lower_strength_keeps_the_output_closer_to_the_input(enhancer, noisy_clip):
    clean, noisy, sr = noisy_clip
    outputs = {s: enhancer.enhance(noisy, sr, strength=s) for s in STRENGTHS}
    to_input = [metrics.si_sdr_db(noisy, outputs[s]) for s in STRENGTHS]  # strength decreasing
    assert all(b > a for a, b in zip(to_input, to_input[1:])), to_input
    assert to_input[-1] > 60.0  # strength 0: the input itself
    # ...and, on this 0 dB mixture, monotonically less of the model's gain over the input
    to_clean = [metrics.si_sdr_db(clean, outputs[s]) for s in STRENGTHS]
    assert all(b < a for a, b in zip(to_clean, to_clean[1:])), to_clean
    assert to_clean[0] > to_clean[-1] + 3.0  # the model helps: its full output is well above the input
    # the energy of the residual change follows the mix: 1 - f of the full change
    change = outputs[1.0] - noisy
    for s in STRENGTHS[1:-1]:
        f = inference.input_share(s)
        np.testing.assert_allclose(outputs[s] - noisy, (1 - f) * change, atol=1e-5)


def test_enhance_refuses_a_bad_strength_by_name(enhancer):
    with pytest.raises(ParameterError, match=r"strength must be a number from 0 to 1 .*got 1\.5"):
        enhancer.enhance(np.zeros(800, np.float32), 8000, strength=1.5)
    with pytest.raises(ParameterError, match=r"strength must be a number from 0 to 1 .*got 'abc'"):
        enhancer.enhance_many([np.zeros(800, np.float32)], [8000], strength="abc")
