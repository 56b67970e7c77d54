"""The language server (`ap-lint lsp`): ap-lint's findings in an editor as you type."""
