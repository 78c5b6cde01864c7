# Reference values for plasmatrial.stats.rmst (R survival:::survmean via summary(fit, rmean = tau)).
# Run from this directory: Rscript rmst.R  -> ../fixtures/rmst.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})
ties <- local({
  set.seed(20240601)
  n <- 500
  group <- sample(c("A", "B"), n, replace = TRUE)
  tt <- ceiling(rexp(n, ifelse(group == "A", 0.10, 0.07)))
  cc <- ceiling(runif(n, 5, 40))
  data.frame(time = pmin(tt, cc), event = as.integer(tt <= cc), group = group)
})
lung2 <- transform(survival::lung, event = as.integer(status == 2), group = sex)
sets <- list(lung = lung2, aml = transform(survival::aml, event = status, group = x),
             ovarian = transform(survival::ovarian, time = futime, event = fustat, group = rx),
             ties = ties)
taus <- list(lung = c(180, 365, 500, 1022, 2000), aml = c(10, 23, 48, 100),
             ovarian = c(400, 800, 1000), ties = c(5, 12, 20, 39, 60))
cases <- list()
for (nm in names(sets)) for (tau in taus[[nm]]) {
  d <- sets[[nm]]
  f1 <- survfit(Surv(time, event) ~ 1, data = d)
  fg <- survfit(Surv(time, event) ~ group, data = d)
  t1 <- summary(f1, rmean = tau)$table
  tg <- summary(fg, rmean = tau)$table
  cases[[length(cases) + 1]] <- list(
    name = nm, tau = tau, input = list(time = d$time, event = d$event, group = as.character(d$group)),
    rmean = unname(t1["rmean"]), se = unname(t1["se(rmean)"]),
    groups = sub("^group=", "", rownames(tg)), group_rmean = unname(tg[, "rmean"]),
    group_se = unname(tg[, "se(rmean)"]))
}
out <- list(call = "summary(survfit(Surv(time, event) ~ 1 / ~ group), rmean = tau)$table",
            r_version = R.version.string,
            packages = list(survival = as.character(packageVersion("survival")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            expected = list(cases = cases))
write_json(out, "../fixtures/rmst.json", digits = NA, auto_unbox = TRUE, na = "string")
