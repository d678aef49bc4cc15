"""The hierarchical Bayesian clutch model: its data, fit, checks, trace store and predictions. Reads the
join layer's tables; imports no other stage."""
