"""Project-level plumbing shared by the EL step, the demo and the monitor."""
