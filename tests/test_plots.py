"""The chapters' figure helpers: spectrogram panels share one colour scale and label the outer axes only."""

import matplotlib

matplotlib.use("Agg")

import pytest
import soundfile as sf

from digitdenoise import plots


@pytest.fixture(scope="module")
def digit(data_home):
    y, sr = sf.read(data_home / "fsdd" / "recordings" / "3_jackson_0.wav", dtype="float32")
    return y, sr


def test_a_spectrogram_grid_puts_every_panel_on_one_colour_scale(digit):
    import matplotlib.pyplot as plt
    from matplotlib.collections import QuadMesh

    y, sr = digit
    quiet = 0.01 * y
    fig = plots.spectrogram_grid({"speech": y, "40 dB quieter": quiet}, sr, 256, 64, title="two levels")
    images = [c for ax in fig.axes if ax.get_label() != "<colorbar>" for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(images) == 2
    limits = {img.get_clim() for img in images}
    assert len(limits) == 1, limits
    top = plots.spectrogram_db(y, 256, 64).max()
    assert limits.pop() == pytest.approx((top - 80, top))
    # the quiet copy really is drawn darker: its brightest bin sits 40 dB under the shared top
    assert images[1].get_array().max() == pytest.approx(top - 40, abs=0.5)
    assert fig._suptitle.get_text() == "two levels"
    plt.close(fig)


def test_a_spectrogram_grid_wraps_rows_and_labels_the_outer_panels(digit):
    import matplotlib.pyplot as plt

    y, sr = digit
    fig = plots.spectrogram_grid({f"copy {k}": y for k in range(5)}, sr, 256, 64, ncols=2)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 6  # 3 rows of 2
    visible = [ax for ax in panels if ax.get_visible()]
    assert len(visible) == 5
    assert [bool(ax.get_ylabel()) for ax in visible] == [True, False, True, False, True]
    plt.close(fig)


def test_a_spectrogram_grid_refuses_no_signals():
    with pytest.raises(ValueError, match="at least one signal"):
        plots.spectrogram_grid({}, 8000, 256, 64)
