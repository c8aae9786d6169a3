"""gkreport: validator and Excel add-in for annual government-information-disclosure reports."""
from addin._version import __version__
