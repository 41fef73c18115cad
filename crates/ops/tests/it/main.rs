//! ops integration tests
