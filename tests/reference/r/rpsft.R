# Reference for plasmatrial.stats.rpsft: RPSFT g-estimation written on survival::survdiff
# (rpsftm itself is not available as a Debian package). Mirrors
# rpsftm(Surv(time, event) ~ rand(arm, rx), censor_time = cens, autoswitch = TRUE).
# Run from this directory: Rscript rpsft.R  -> ../fixtures/rpsft.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})

set.seed(20240607)
n <- 400
psi_true <- -0.6                      # exp(-psi): treatment stretches survival time 1.8-fold
arm <- rep(0:1, each = n / 2)
u <- rexp(n, 1 / 12)                  # untreated (counterfactual) survival time
switch_at <- runif(n, 2, 10)          # control patients may cross over at progression
switches <- arm == 0 & runif(n) < 0.6 & u > switch_at
t_true <- ifelse(arm == 1, u / exp(psi_true),
                 ifelse(switches, switch_at + (u - switch_at) / exp(psi_true), u))
cens <- runif(n, 15, 40)              # administrative censoring from randomisation
time <- pmin(t_true, cens)
event <- as.integer(t_true <= cens)
on <- ifelse(arm == 1, time, ifelse(switches, pmax(0, time - switch_at), 0))
rx <- on / time

# counterfactual times with re-censoring; autoswitch: an arm with rx all 0 or all 1 is not
# re-censored
recensor <- rep(TRUE, n)
for (a in 0:1) {
  r <- rx[arm == a]
  if (all(r == 0) || all(r == 1)) recensor[arm == a] <- FALSE
}
cf <- function(psi) {
  uu <- time * ((1 - rx) + rx * exp(psi))
  cstar <- ifelse(recensor, cens * min(1, exp(psi)), Inf)
  list(t = pmin(uu, cstar), d = event * (uu <= cstar), recens = uu > cstar)
}
zfun <- function(psi) {
  x <- cf(psi)
  sd <- survdiff(Surv(x$t, x$d) ~ arm)
  sign(sd$obs[2] - sd$exp[2]) * sqrt(sd$chisq)
}
# plain bisection to 1e-10 (Z is a non-monotone step function; uniroot and Brent variants can
# land on different crossings near the confidence limits)
root <- function(target, lo = -3, hi = 3) {
  s_lo <- sign(zfun(lo) - target)
  while (hi - lo > 1e-10) {
    mid <- lo + (hi - lo) / 2
    f <- zfun(mid) - target
    if (f == 0) return(mid)
    if (sign(f) == s_lo) lo <- mid else hi <- mid
  }
  lo + (hi - lo) / 2
}
psi <- root(0)
q <- qnorm(0.975)
lims <- sort(c(root(q), root(-q)))
x <- cf(psi)
t_adj <- ifelse(arm == 1, time, x$t)
e_adj <- ifelse(arm == 1, event, x$d)
fit <- coxph(Surv(t_adj, e_adj) ~ arm, ties = "efron")

out <- list(
  call = "bisection of z(psi) = 0, +/-qnorm(.975) on [-3, 3] to 1e-10; z = signed sqrt(survdiff chisq) on re-censored U(psi)",
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival"))),
  psi_true = psi_true,
  data = list(time = time, event = event, arm = arm, rx = rx, censor_time = cens),
  expected = list(psi = psi, psi_conf_low = lims[1], psi_conf_high = lims[2],
                  z_at_zero = zfun(0), n_recensored = sum(x$recens),
                  n_events_lost = sum(event == 1 & x$d == 0),
                  coef = unname(coef(fit)), var = unname(fit$var),
                  # Z(psi) on both sides of each root, to check the located jump
                  z_psi_minus = zfun(psi - 1e-6), z_psi_plus = zfun(psi + 1e-6))
)
write_json(out, "../fixtures/rpsft.json", digits = NA, auto_unbox = TRUE)
