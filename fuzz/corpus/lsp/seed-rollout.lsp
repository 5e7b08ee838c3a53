Content-Length: 83

{"id": 1, "method": "initialize", "params": {"capabilities": {}}, "jsonrpc": "2.0"}Content-Length: 57

{"method": "initialized", "params": {}, "jsonrpc": "2.0"}Content-Length: 610

{"method": "textDocument/didOpen", "params": {"textDocument": {"uri": "untitled:rollout.charter", "languageId": "charter", "version": 1, "text": "// Rollout rules: limit the blast radius of a production change.\n\n/// A production change may target at most two regions at a time.\npolicy prod_region_limit {\n  severity deny\n  when change.environment == production\n  require count(change.regions) <= 2\n  message \"production change {change.id} targets {count(change.regions)} regions; the limit is 2\"\n  help \"roll out to two regions first, then the rest in a follow-up change\"\n}\n"}}, "jsonrpc": "2.0"}Content-Length: 165

{"id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 170

{"id": 3, "method": "textDocument/definition", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 211

{"id": 4, "method": "textDocument/references", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "position": {"line": 3, "character": 8}, "context": {"includeDeclaration": true}}, "jsonrpc": "2.0"}Content-Length: 170

{"id": 5, "method": "textDocument/completion", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 68

{"method": "$/cancelRequest", "params": {"id": 5}, "jsonrpc": "2.0"}Content-Length: 133

{"id": 6, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": "untitled:rollout.charter"}}, "jsonrpc": "2.0"}Content-Length: 178

{"id": 7, "method": "textDocument/formatting", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "options": {"tabSize": 2, "insertSpaces": true}}, "jsonrpc": "2.0"}Content-Length: 386

{"method": "textDocument/didChange", "params": {"textDocument": {"uri": "untitled:rollout.charter", "version": 2}, "contentChanges": [{"text": "// Rollout rules: limit the blast radius of a production change.\n\n/// A production change may target at most two regions at a time.\npolicy prod_region_limit {\n  severity deny\n  when change.environment == production"}]}, "jsonrpc": "2.0"}Content-Length: 165

{"id": 8, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:rollout.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 118

{"method": "textDocument/didClose", "params": {"textDocument": {"uri": "untitled:rollout.charter"}}, "jsonrpc": "2.0"}Content-Length: 49

{"id": 9, "method": "shutdown", "jsonrpc": "2.0"}Content-Length: 36

{"method": "exit", "jsonrpc": "2.0"}