//! AWS Signature Version 4 request verification, sans I/O.
