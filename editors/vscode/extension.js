// The ap-lint extension: starts `ap-lint lsp` for a workspace that holds a register (a records/ folder)
// and shows its findings on the register's YAML files as they are typed. The schemas (hover, completion)
// come from the YAML extension (redhat.vscode-yaml), which the register recommends.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** The command that starts the server: the setting, else the workspace's .venv, else ap-lint on the PATH. */
function serverCommand(folder) {
  const configured = vscode.workspace.getConfiguration("ap-lint").get("command");
  const defaults = ["ap-lint", "lsp", "--stdio"];
  if (Array.isArray(configured) && configured.length > 0 && configured.join(" ") !== defaults.join(" ")) {
    return configured;
  }
  if (folder) {
    const bin = process.platform === "win32" ? ["Scripts", "ap-lint.exe"] : ["bin", "ap-lint"];
    const local = path.join(folder.uri.fsPath, ".venv", ...bin);
    if (fs.existsSync(local)) {
      return [local, "lsp", "--stdio"];
    }
  }
  return defaults;
}

function registerFolder() {
  return (vscode.workspace.workspaceFolders || []).find((folder) =>
    fs.existsSync(path.join(folder.uri.fsPath, "records")));
}

async function start() {
  const folder = registerFolder();
  if (!folder) {
    return;
  }
  const [command, ...args] = serverCommand(folder);
  const serverOptions = {
    command,
    args,
    transport: TransportKind.stdio,
    options: { cwd: folder.uri.fsPath },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml", pattern: "**/records/**/*.yaml" },
      { scheme: "file", language: "markdown", pattern: "**/policy/*.md" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/records/**/*.yaml"),
    },
    initializationOptions: {
      debounce_ms: vscode.workspace.getConfiguration("ap-lint").get("debounceMs"),
    },
  };
  client = new LanguageClient("ap-lint", "ap-lint", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `ap-lint could not start (${command}): ${error.message}. Install ap-lint in the register's .venv, ` +
      "or set ap-lint.command.");
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

function activate(context) {
  context.subscriptions.push(vscode.commands.registerCommand("ap-lint.restart", async () => {
    await stop();
    await start();
  }));
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
