"""Chapter 8's explorer and its suppression-strength slider, without a display or a kernel."""

from __future__ import annotations

import numpy as np
import pytest

from digitdenoise import explorer, inference
from digitdenoise.errors import ParameterError


@pytest.fixture(scope="module")
def ex(data_home):
    from digitdenoise import evaluation, training

    model_dir = inference.default_model_dir().parent / "fsdd-mask_unet"
    if not (model_dir / "model.keras").is_file():
        pytest.fail(f"the release checkpoint {model_dir} is missing", pytrace=False)
    model, _ = training.load_denoiser(model_dir)
    test = evaluation.build_test_set("fsdd", data_home, seed=0, max_clips=10)
    return explorer.Explorer(test, {"mask_unet": model})


def test_example_strength_limits_the_suppression(ex):
    speaker = ex.speakers[0]
    digit = ex.digits(speaker)[0]
    full = ex.example(speaker, digit, "white", -5.0, "mask_unet")
    same = ex.example(speaker, digit, "white", -5.0, "mask_unet", strength=1.0)
    np.testing.assert_array_equal(same.denoised, full.denoised)
    assert list(full.metrics.index) == ["noisy", "mask_unet"] and full.title.endswith("mask_unet")
    off = ex.example(speaker, digit, "white", -5.0, "mask_unet", strength=0.0)
    np.testing.assert_array_equal(off.denoised, off.noisy)
    assert list(off.metrics.index) == ["noisy", "mask_unet, strength 0"]
    half = ex.example(speaker, digit, "white", -5.0, "mask_unet", strength=0.5)
    f = inference.input_share(0.5)
    np.testing.assert_allclose(half.denoised, f * half.noisy + (1 - f) * full.denoised, atol=1e-6)
    gains = [t.metrics["SI-SDR (dB)"].iloc[1] for t in (full, half, off)]
    assert gains[0] > gains[1] > gains[2]  # white noise at -5 dB: every step down gives back some noise
    with pytest.raises(ParameterError, match="strength must be a number from 0 to 1"):
        ex.example(speaker, digit, "white", -5.0, "mask_unet", strength=1.5)


def test_widget_has_a_strength_slider_that_re_renders(ex, monkeypatch):
    import ipywidgets as w

    shown = []
    monkeypatch.setattr(ex, "show", shown.append)
    panel = ex.widget()
    controls = [c for box in panel.children if isinstance(box, w.HBox) for c in box.children]
    slider = next(c for c in controls if c.description == "suppression strength")
    label = next(c for c in controls if isinstance(c, w.Label))
    assert isinstance(slider, w.FloatSlider) and (slider.min, slider.max, slider.value) == (0.0, 1.0, 1.0)
    assert len(shown) == 1 and label.value == "no limit on the attenuation"
    slider.value = 0.5
    assert len(shown) == 2 and shown[-1].title.endswith("strength 0.5")
    assert label.value == "at most 18 dB removed"
    slider.value = 0.0
    np.testing.assert_array_equal(shown[-1].denoised, shown[-1].noisy)
