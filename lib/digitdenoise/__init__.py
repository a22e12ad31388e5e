"""digitdenoise: the library behind the book *Denoising spoken digits with convolutional autoencoders*.

The notebooks under ``notebooks/`` narrate; this package does the work. Modules follow the
pipeline the book walks through:

``data``      datasets, metadata cleaning, speaker-disjoint splits        (chapters 1, 4)
``noise``     generated and recorded noise, babble, mixing at an exact SNR (chapters 2, 4)
``metrics``   SNR measurements                                            (chapter 2)
``features``  STFT / log-magnitude / mel, normalisation, inversion         (chapter 3)
``audio``     audio players and figure helpers for the book               (all chapters)
``runner``    executing chapters with papermill and building the book
``cli``       the ``digitdenoise`` command line
"""

from .errors import AudioFileError, DataError, DigitDenoiseError, ParameterError

__version__ = "0.1.0"

__all__ = ["AudioFileError", "DataError", "DigitDenoiseError", "ParameterError", "__version__"]
