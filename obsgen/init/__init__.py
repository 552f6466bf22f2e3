"""`obsgen init`: starter specs, written for the user's service rather than copied from the demo."""
