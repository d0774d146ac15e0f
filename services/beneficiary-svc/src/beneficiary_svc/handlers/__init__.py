"""One function per command on the register and per event it receives."""
