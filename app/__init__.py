"""hotline-intake: intake, triage and routing for Vietnam's 111 child-protection hotline."""

__version__ = "0.1.0"
