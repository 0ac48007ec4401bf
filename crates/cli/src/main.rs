//! The `castellan` binary: offline policy tools (the server arrives with a later issue).

mod policy_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Castellan: a self-hosted identity and access management service speaking AWS IAM and STS.
#[derive(Debug, Parser)]
#[command(name = "castellan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Offline policy tools: validate documents, evaluate requests.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Policy(command) => policy_cmd::run(command),
    }
}
