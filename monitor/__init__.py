"""The data-quality monitor: checks -> history -> alerts -> channels; digest; report; CLI."""
