Content-Length: 83

{"id": 1, "method": "initialize", "params": {"capabilities": {}}, "jsonrpc": "2.0"}Content-Length: 57

{"method": "initialized", "params": {}, "jsonrpc": "2.0"}Content-Length: 1144

{"method": "textDocument/didOpen", "params": {"textDocument": {"uri": "untitled:schema.charter", "languageId": "charter", "version": 1, "text": "// The shape of a change manifest, as our CI writes it.\n\n/// How senior an engineer is; later levels rank higher.\nlevels seniority { junior, mid, senior, staff, principal }\n\n/// A person who reviewed the change.\nrecord reviewer {\n  /// Compared ignoring case and Unicode normal form: `Dana` is `dana`.\n  name: identity\n  seniority: seniority\n  /// The reviewer's team, when known.\n  team: string?\n  approved: bool\n}\n\nmanifest change {\n  id: string\n  title: string?\n  author: { name: identity, seniority: seniority, team: string? }\n  /// Whether an AI assistant wrote part of the change.\n  ai_assisted: bool\n  environment: enum { dev, staging, production }\n  regions: [string]\n  size: { lines_added: int >= 0, lines_removed: int >= 0, files_changed: int >= 0 }\n  /// Repository-relative paths, each in its one spelling (`src/auth/x.rs`, never `src//auth/x.rs`).\n  files: [path]\n  reviewers: [reviewer]\n  labels: [string]\n  created_at: timestamp?\n}\n"}}, "jsonrpc": "2.0"}Content-Length: 164

{"id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 169

{"id": 3, "method": "textDocument/definition", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 210

{"id": 4, "method": "textDocument/references", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "position": {"line": 3, "character": 8}, "context": {"includeDeclaration": true}}, "jsonrpc": "2.0"}Content-Length: 169

{"id": 5, "method": "textDocument/completion", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 68

{"method": "$/cancelRequest", "params": {"id": 5}, "jsonrpc": "2.0"}Content-Length: 132

{"id": 6, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": "untitled:schema.charter"}}, "jsonrpc": "2.0"}Content-Length: 177

{"id": 7, "method": "textDocument/formatting", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "options": {"tabSize": 2, "insertSpaces": true}}, "jsonrpc": "2.0"}Content-Length: 657

{"method": "textDocument/didChange", "params": {"textDocument": {"uri": "untitled:schema.charter", "version": 2}, "contentChanges": [{"text": "// The shape of a change manifest, as our CI writes it.\n\n/// How senior an engineer is; later levels rank higher.\nlevels seniority { junior, mid, senior, staff, principal }\n\n/// A person who reviewed the change.\nrecord reviewer {\n  /// Compared ignoring case and Unicode normal form: `Dana` is `dana`.\n  name: identity\n  seniority: seniority\n  /// The reviewer's team, when known.\n  team: string?\n  approved: bool\n}\n\nmanifest change {\n  id: string\n  title: string?\n  author"}]}, "jsonrpc": "2.0"}Content-Length: 164

{"id": 8, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:schema.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 117

{"method": "textDocument/didClose", "params": {"textDocument": {"uri": "untitled:schema.charter"}}, "jsonrpc": "2.0"}Content-Length: 49

{"id": 9, "method": "shutdown", "jsonrpc": "2.0"}Content-Length: 36

{"method": "exit", "jsonrpc": "2.0"}