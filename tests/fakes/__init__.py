"""Hand-written fakes of every port, for tests of the domain and of the driving adapters."""
