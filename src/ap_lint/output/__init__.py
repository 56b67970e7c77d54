"""Output: the formats findings are printed in, the rule reference, and the governors' report."""
