"""ZoneBrain (产业大脑): an industry brain for a high-tech zone's management committee."""

__version__ = "0.1.0"
