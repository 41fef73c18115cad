//! Errors as the client sees them: every error carries `extensions.code` (SPEC §4).
//!
//! Domain errors convert through [`from_domain`]; an `INTERNAL` error is logged with its whole cause chain
//! and reaches the client as a generic message. Errors raised by async-graphql itself (a malformed query,
//! a depth or complexity limit, a bad argument) get `BAD_USER_INPUT` from [`fill_error_codes`].

use async_graphql::{Error, ErrorExtensions, Response};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// The client-facing message of every internal error.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// An error with a code and a message the client may read.
pub fn coded(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// Converts a domain error: its own message and code, or a generic message for internal errors.
pub fn from_domain<E: HasErrorCode>(err: E) -> Error {
    match err.code() {
        ErrorCode::Internal => {
            tracing::error!(error = %chain(&err), "internal error");
            coded(ErrorCode::Internal, INTERNAL_MESSAGE)
        }
        code => coded(code, err.to_string()),
    }
}

/// An unexpected failure outside any domain error type (a database error in a query of the API itself):
/// logged, and `INTERNAL` to the client.
pub fn internal(err: impl Into<anyhow::Error>) -> Error {
    let err = err.into();
    tracing::error!(error = %format!("{err:#}"), "internal error");
    coded(ErrorCode::Internal, INTERNAL_MESSAGE)
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Gives every error that has no code yet (those raised by async-graphql's parser and validator) the code
/// `BAD_USER_INPUT`: resolvers always set their own.
pub fn fill_error_codes(response: &mut Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
}
