"""The lowest layer: the domain's vocabulary and the deployment's settings; imports nothing of lib/."""
