"""The customer channel (车主端): car owners sign in with a one-time code and see only their own cars
and documents, under `/c/v1/` (resources in gateway/resources/customer.py, the phone app under `/m/`)."""
