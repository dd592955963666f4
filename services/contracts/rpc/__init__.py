"""The requests and answers of each service's RPC methods (what the gateway sends and reads), one
package per service whose modules mirror its `domain/`."""
