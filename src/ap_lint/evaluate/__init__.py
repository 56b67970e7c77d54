"""Evaluate: compile the pack's CEL rules, evaluate them over the register index, apply waivers, locate findings."""
