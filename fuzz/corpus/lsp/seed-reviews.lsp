Content-Length: 83

{"id": 1, "method": "initialize", "params": {"capabilities": {}}, "jsonrpc": "2.0"}Content-Length: 57

{"method": "initialized", "params": {}, "jsonrpc": "2.0"}Content-Length: 1734

{"method": "textDocument/didOpen", "params": {"textDocument": {"uri": "untitled:reviews.charter", "languageId": "charter", "version": 1, "text": "// Review rules: who must approve what.\n\nlet approvals = change.reviewers where r: r.approved\nlet senior_approvals = approvals where r: r.seniority >= senior\nlet lines_changed = change.size.lines_added + change.size.lines_removed\n\n/// AI-assisted changes need sign-off from a senior engineer.\npolicy ai_needs_senior_signoff {\n  severity deny\n  when change.ai_assisted\n  require count(senior_approvals) >= 1\n  message \"AI-assisted change {change.id} needs approval from a senior engineer or above\"\n  help \"ask a reviewer of seniority senior, staff or principal to approve\"\n}\n\n/// Large changes need a second pair of eyes.\npolicy large_change_two_approvals {\n  when lines_changed > 500\n  require count(approvals) >= 2\n  message \"change {change.id} touches {lines_changed} lines and needs 2 approvals, it has {count(approvals)}\"\n  help \"split the change, or ask a second reviewer to approve\"\n}\n\n/// Nobody approves their own change.\npolicy no_self_approval {\n  require all r in approvals: r.name != change.author.name\n  message \"{change.author.name} approved their own change {change.id}\"\n  help \"an approval must come from someone other than the author\"\n}\n\n/// Changes to authentication code need the security team.\npolicy auth_needs_security {\n  when any f in change.files: f matches \"src/auth/**\"\n  require any r in approvals: has(r.team) and r.team == \"security\"\n  message \"change {change.id} touches src/auth/ and needs an approval from the security team\"\n  help \"request a review from the security team\"\n}\n"}}, "jsonrpc": "2.0"}Content-Length: 165

{"id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 170

{"id": 3, "method": "textDocument/definition", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 211

{"id": 4, "method": "textDocument/references", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "position": {"line": 3, "character": 8}, "context": {"includeDeclaration": true}}, "jsonrpc": "2.0"}Content-Length: 170

{"id": 5, "method": "textDocument/completion", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 68

{"method": "$/cancelRequest", "params": {"id": 5}, "jsonrpc": "2.0"}Content-Length: 133

{"id": 6, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": "untitled:reviews.charter"}}, "jsonrpc": "2.0"}Content-Length: 178

{"id": 7, "method": "textDocument/formatting", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "options": {"tabSize": 2, "insertSpaces": true}}, "jsonrpc": "2.0"}Content-Length: 945

{"method": "textDocument/didChange", "params": {"textDocument": {"uri": "untitled:reviews.charter", "version": 2}, "contentChanges": [{"text": "// Review rules: who must approve what.\n\nlet approvals = change.reviewers where r: r.approved\nlet senior_approvals = approvals where r: r.seniority >= senior\nlet lines_changed = change.size.lines_added + change.size.lines_removed\n\n/// AI-assisted changes need sign-off from a senior engineer.\npolicy ai_needs_senior_signoff {\n  severity deny\n  when change.ai_assisted\n  require count(senior_approvals) >= 1\n  message \"AI-assisted change {change.id} needs approval from a senior engineer or above\"\n  help \"ask a reviewer of seniority senior, staff or principal to approve\"\n}\n\n/// Large changes need a second pair of eyes.\npolicy large_change_two_approvals {\n  when lines_changed > 500\n  require count(approvals) >= 2\n  message \"change {change.id} touches "}]}, "jsonrpc": "2.0"}Content-Length: 165

{"id": 8, "method": "textDocument/hover", "params": {"textDocument": {"uri": "untitled:reviews.charter"}, "position": {"line": 3, "character": 8}}, "jsonrpc": "2.0"}Content-Length: 118

{"method": "textDocument/didClose", "params": {"textDocument": {"uri": "untitled:reviews.charter"}}, "jsonrpc": "2.0"}Content-Length: 49

{"id": 9, "method": "shutdown", "jsonrpc": "2.0"}Content-Length: 36

{"method": "exit", "jsonrpc": "2.0"}