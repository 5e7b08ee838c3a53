// Starts `charter lsp` for .charter files. Everything else (diagnostics, hover, definition,
// references, completion, outline, formatting) is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("charter").get("path") || "charter";
  const run = { command, args: ["lsp"] };
  client = new LanguageClient(
    "charter",
    "Charter",
    { run, debug: run },
    { documentSelector: [{ scheme: "file", language: "charter" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
