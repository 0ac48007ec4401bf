//! The AWS IAM policy language: parsing, validation and compiled evaluation.
