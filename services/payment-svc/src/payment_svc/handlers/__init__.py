"""payment-svc's commands and events, one function each, on a connection in a transaction."""
