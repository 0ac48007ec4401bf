//! The `castellan` binary: the server, account administration, and offline policy tools.

mod audit_cmd;
mod policy_cmd;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// See the `mimalloc` line of Cargo.toml for why the binary does not use the system's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Castellan: a self-hosted identity and access management service speaking AWS IAM and STS.
#[derive(Debug, Parser)]
#[command(name = "castellan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IAM and STS server.
    Serve(serve::ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Operator actions on roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Offline policy tools: validate documents, evaluate requests.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

#[derive(Debug, Subcommand)]
enum RoleCommand {
    /// Deny every session of a role issued before now (AWS's "revoke active sessions": an
    /// inline policy `AWSRevokeOlderSessions` on the role).
    RevokeSessions(serve::RevokeSessionsArgs),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Print the records (JSON lines) that match every filter given, oldest first.
    Query(audit_cmd::QueryArgs),
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create another account with its own root credentials (printed once).
    Create(serve::CreateAccountArgs),
    /// Set the root user's console password.
    RootPassword(serve::RootPasswordArgs),
}

/// Runs an async command on a multi-threaded runtime, reporting failures on stderr.
fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let filter = tracing_subscriber::EnvFilter::try_from_env("CASTELLAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let logs = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr);
            // A person at a terminal reads lines (coloured); anything else (a file, a
            // journal, a collector) gets one JSON object per line.
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                logs.with_ansi(true).init();
            } else {
                logs.json().with_ansi(false).init();
            }
            run_async(serve::serve(args))
        }
        Command::Account(AccountCommand::Create(args)) => run_async(serve::create_account(args)),
        Command::Account(AccountCommand::RootPassword(args)) => {
            run_async(serve::root_password(args))
        }
        Command::Role(RoleCommand::RevokeSessions(args)) => run_async(serve::revoke_sessions(args)),
        Command::Audit(AuditCommand::Query(args)) => audit_cmd::query(&args),
        Command::Policy(command) => policy_cmd::run(command),
    }
}
