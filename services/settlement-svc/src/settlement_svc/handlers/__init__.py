"""settlement-svc's commands and events, one function each: load, ask the domain, save, emit."""
