"""plasmatrial.synth."""
