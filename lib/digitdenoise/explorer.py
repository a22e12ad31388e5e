"""The interactive explorer of chapter 8: pick a speaker, digit, noise type, SNR, model and suppression
strength; see and hear clean, noisy and denoised audio with their metrics. In a live notebook it is an
ipywidgets panel; in the static book the same rendering makes a gallery of fixed choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import ParameterError


@dataclass
class Example:
    """One rendered choice (chapter 8): the three signals (real length) and their metrics."""

    title: str
    clean: np.ndarray
    noisy: np.ndarray
    denoised: np.ndarray
    sr: int
    metrics: pd.DataFrame


class Explorer:
    """Chapter 8's explorer over chapter 6's test set (:class:`evaluation.TestSet`) and chapter 5's models."""

    def __init__(self, test, denoisers: dict[str, Any]):
        if not denoisers:
            raise ParameterError("the explorer needs at least one model (run chapter 5 first).")
        self.test, self.denoisers = test, dict(denoisers)
        self.sr = test.cfg.sample_rate

    @property
    def speakers(self) -> list[str]:
        return sorted(self.test.clips["speaker"].unique())

    def digits(self, speaker: str) -> list[int]:
        return sorted(int(d) for d in self.test.clips.loc[self.test.clips["speaker"] == speaker, "digit"].unique())

    def example(self, speaker: str, digit: int, noise: str, snr_db: float, model: str,
                strength: float = 1.0) -> Example:
        """Render one choice (chapter 8). The clip is the first take of ``digit`` by ``speaker`` in the test set.
        ``strength`` limits the suppression as the ``denoise`` command's ``--strength`` does
        (:func:`inference.apply_strength`: 1 the model's output, 0 the noisy input)."""
        from . import inference, metrics, training

        strength = inference.check_strength(strength)

        rows = self.test.clips.index[(self.test.clips["speaker"] == speaker) & (self.test.clips["digit"] == digit)]
        if len(rows) == 0:
            raise ParameterError(f"no test clip of digit {digit} by speaker {speaker!r}; choose from {self.digits(speaker)}.")
        if model not in self.denoisers:
            raise ParameterError(f"model={model!r} unknown; choose one of {sorted(self.denoisers)}.")
        i = int(rows[0])
        noisy = self.test.noisy(noise, float(snr_db), np.array([i]))
        denoised = inference.apply_strength(noisy[0], training.denoise_batch(self.denoisers[model], noisy)[0], strength)
        n = int(self.test.lengths[i])
        c, x, y = self.test.clean[i][:n], noisy[0][:n], denoised[:n]
        label = model if strength == 1.0 else f"{model}, strength {strength:g}"
        table = pd.DataFrame({
            "SI-SDR (dB)": [metrics.si_sdr_db(c, x), metrics.si_sdr_db(c, y)],
            "PESQ": [metrics.pesq_score(c, x, self.sr), metrics.pesq_score(c, y, self.sr)],
        }, index=["noisy", label]).round(2)
        title = f"{self.test.clips['clip_id'][i]}: {noise} noise at {snr_db:g} dB, {label}"
        return Example(title, c, x, y, self.sr, table)

    def show(self, example: Example) -> None:
        """Display spectrograms on one colour scale, three players and the metrics (chapter 8)."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from . import audio, plots

        cfg = self.test.cfg
        panels = {"clean": example.clean, "noisy": example.noisy, "denoised": example.denoised}
        specs = {k: plots.spectrogram_db(v, cfg.n_fft, cfg.hop_length) for k, v in panels.items()}
        vmax = max(s.max() for s in specs.values())
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
        for ax, (name, spec) in zip(axes, specs.items()):
            img = plots.spectrogram_panel(ax, spec, self.sr, cfg.hop_length, title=name, vmin=vmax - 80, vmax=vmax)
        plots.outer_labels_only(axes[None, :])
        fig.colorbar(img, ax=axes, label="Power (dB FS)")
        fig.suptitle(example.title)
        plt.show()
        display(audio.players(panels, self.sr))
        display(example.metrics)

    def widget(self):
        """The ipywidgets panel (chapter 8): dropdowns for speaker, digit, noise and model, sliders for the
        SNR and the suppression strength (:func:`inference.apply_strength`; its label shows the most any
        bin can lose at that strength). Every change re-renders the spectrograms, players and metrics."""
        import ipywidgets as w
        from IPython.display import clear_output

        from .inference import attenuation_limit_db

        speaker = w.Dropdown(options=self.speakers, description="speaker")
        digit = w.Dropdown(options=self.digits(self.speakers[0]), description="digit")
        noise = w.Dropdown(options=self.test.conditions, description="noise")
        snr = w.FloatSlider(value=-8.0, min=-15.0, max=10.0, step=1.0, description="SNR (dB)")
        model = w.Dropdown(options=sorted(self.denoisers), description="model")
        strength = w.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description="suppression strength",
                                 readout_format=".2f", style={"description_width": "initial"})
        limit = w.Label()
        out = w.Output()

        def update(*_):
            db = attenuation_limit_db(strength.value)
            limit.value = "no limit on the attenuation" if db == float("inf") else f"at most {db:.0f} dB removed"
            with out:
                clear_output(wait=True)
                self.show(self.example(speaker.value, digit.value, noise.value, snr.value, model.value,
                                       strength.value))

        def new_speaker(change):
            digit.options = self.digits(change["new"])

        speaker.observe(new_speaker, names="value")
        for control in (speaker, digit, noise, snr, model, strength):
            control.observe(update, names="value")
        update()
        return w.VBox([w.HBox([speaker, digit, noise]), w.HBox([snr, model]), w.HBox([strength, limit]), out])
