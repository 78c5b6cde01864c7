# Reference values for plasmatrial.stats.landmark: tmerge time-dependent response and a landmark fit.
# Run from this directory: Rscript timedep.R  -> ../fixtures/timedep.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})
set.seed(424242)
n <- 300
resp_time <- round(rexp(n, 1 / 4), 1)               # months to hematologic response
resp_time[runif(n) < 0.35] <- NA                    # never responded
os <- round(rexp(n, 1 / 30) * ifelse(is.na(resp_time), 0.7, 1.3), 1) + 0.1
cens <- round(runif(n, 10, 60), 1)
time <- pmin(os, cens); event <- as.integer(os <= cens)
base <- data.frame(id = seq_len(n), time = time, event = event, resp_time = resp_time)

d1 <- tmerge(base[, c("id", "time", "event")], base, id = id, death = event(time, event))
d2 <- tmerge(d1, base, id = id, resp = tdc(resp_time))
fit_td <- coxph(Surv(tstart, tstop, death) ~ resp, data = d2, ties = "efron")

L <- 6
lm <- subset(base, time > L)
lm$responded <- as.integer(!is.na(lm$resp_time) & lm$resp_time <= L)
fit_lm <- coxph(Surv(time - L, event) ~ responded, data = lm, ties = "efron")

ex <- function(fit) list(coef = unname(coef(fit)), var = unname(fit$var),
                         loglik = unname(fit$loglik), score_test = unname(fit$score),
                         n = fit$n, nevent = fit$nevent)
out <- list(
  call = paste("tmerge(tdc(resp_time)); coxph(Surv(tstart, tstop, death) ~ resp);",
               "landmark L = 6: coxph(Surv(time - L, event) ~ responded, subset time > L)"),
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival"))),
  data = as.list(base),
  tmerge = list(id = d2$id, tstart = d2$tstart, tstop = d2$tstop, death = d2$death, resp = d2$resp),
  timedep = ex(fit_td),
  landmark = c(list(landmark = L, n_at_risk = nrow(lm), n_responders = sum(lm$responded)),
               ex(fit_lm))
)
write_json(out, "../fixtures/timedep.json", digits = NA, auto_unbox = TRUE, na = "null")
