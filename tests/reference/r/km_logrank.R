# Reference values for plasmatrial.stats.km (kaplan_meier) and plasmatrial.stats.logrank.
# Run from this directory: Rscript km_logrank.R  -> ../fixtures/km_logrank.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})

# --- data sets -------------------------------------------------------------------------------
ties <- local({  # heavy ties: integer times, 3 groups, 2 strata, n = 500
  set.seed(20240601)
  n <- 500
  group <- sample(c("A", "B", "C"), n, replace = TRUE)
  stratum <- sample(c("s1", "s2"), n, replace = TRUE)
  rate <- c(A = 0.10, B = 0.07, C = 0.05)[group] * ifelse(stratum == "s1", 1, 1.4)
  tt <- ceiling(rexp(n, rate))
  cc <- ceiling(runif(n, 5, 40))
  data.frame(time = pmin(tt, cc), event = as.integer(tt <= cc), group = group,
             stratum = stratum, w = round(runif(n, 0.5, 2), 2))
})
trunc <- local({  # left-truncated (delayed entry), counting-process form
  set.seed(7)
  n <- 200
  entry <- round(runif(n, 0, 10), 1)
  tt <- entry + round(rexp(n, 1 / 15), 1) + 0.1
  cc <- entry + round(runif(n, 2, 40), 1)
  data.frame(entry = entry, time = round(pmin(tt, cc), 1), event = as.integer(tt <= cc),
             group = sample(c("x", "y"), n, replace = TRUE))
})
lung2 <- transform(survival::lung, event = as.integer(status == 2), old = ifelse(age >= 65, "old", "young"))
vet <- survival::veteran
aml <- survival::aml
ova <- survival::ovarian
flat_mid <- data.frame(time = c(1, 2, 3, 4, 5, 6), event = c(1, 1, 1, 0, 1, 1))
flat_end <- data.frame(time = c(1, 2, 3, 4), event = c(1, 1, 0, 0))

# --- Kaplan-Meier ----------------------------------------------------------------------------
probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
at_times <- function(d) sort(unique(c(0, round(quantile(d$time, c(0.1, 0.33, 0.5, 0.8)), 1), max(d$time))))
km_case <- function(name, d, conf.type, entry = FALSE, weights = FALSE) {
  f <- if (entry) survfit(Surv(entry, time, event) ~ 1, data = d, conf.type = conf.type)
       else if (weights) survfit(Surv(time, event) ~ 1, data = d, weights = w, conf.type = conf.type,
                                    robust = FALSE)
       else survfit(Surv(time, event) ~ 1, data = d, conf.type = conf.type)
  q <- quantile(f, probs)
  tt <- at_times(d)
  s <- summary(f, times = tt, extend = TRUE)
  list(name = name, conf_type = conf.type, entry = entry, weights = weights,
       input = list(time = d$time, event = d$event,
                    entry = if (entry) d$entry else NULL, w = if (weights) d$w else NULL),
       call = deparse(f$call),
       time = f$time, n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor,
       surv = f$surv, std_err = f$std.err, lower = f$lower, upper = f$upper,
       cumhaz = f$cumhaz, std_chaz = f$std.chaz,
       probs = probs, q = as.numeric(q$quantile), q_lower = as.numeric(q$lower),
       q_upper = as.numeric(q$upper),
       at = tt, at_n_risk = s$n.risk, at_surv = s$surv)
}
km <- list()
for (ct in c("log", "log-log", "plain")) {
  km[[length(km) + 1]] <- km_case("lung", lung2, ct)
  km[[length(km) + 1]] <- km_case("aml", transform(aml, event = status), ct)
  km[[length(km) + 1]] <- km_case("ties", ties, ct)
  km[[length(km) + 1]] <- km_case("ties_weighted", ties, ct, weights = TRUE)
  km[[length(km) + 1]] <- km_case("truncated", trunc, ct, entry = TRUE)
  km[[length(km) + 1]] <- km_case("ovarian", transform(ova, time = futime, event = fustat), ct)
  km[[length(km) + 1]] <- km_case("veteran", transform(vet, event = status), ct)
  km[[length(km) + 1]] <- km_case("flat_mid", flat_mid, ct)
  km[[length(km) + 1]] <- km_case("flat_end", flat_end, ct)
}

# --- log-rank / G-rho (survdiff) ---------------------------------------------------------------
lr_case <- function(name, d, rho, strata = FALSE) {
  f <- if (strata) survdiff(Surv(time, event) ~ group + strata(stratum), data = d, rho = rho)
       else survdiff(Surv(time, event) ~ group, data = d, rho = rho)
  list(name = name, rho = rho, strata = strata,
       input = list(time = d$time, event = d$event, group = as.character(d$group),
                    stratum = if (strata) as.character(d$stratum) else NULL),
       call = paste(deparse(f$call), collapse = ""),
       groups = sub("^group=", "", names(f$n)),
       observed = if (is.matrix(f$obs)) rowSums(f$obs) else f$obs,
       expected = if (is.matrix(f$exp)) rowSums(f$exp) else f$exp,
       variance = f$var, chisq = f$chisq, df = length(f$n) - 1, pvalue = f$pvalue)
}
lung_g <- transform(lung2, group = sex, stratum = old)
vet_g <- transform(vet, event = status, group = celltype, stratum = trt)
lr <- list()
for (rho in c(0, 1, 0.5)) {
  lr[[length(lr) + 1]] <- lr_case("lung_sex", lung_g, rho)
  lr[[length(lr) + 1]] <- lr_case("lung_sex_strat_age", lung_g, rho, strata = TRUE)
  lr[[length(lr) + 1]] <- lr_case("veteran_celltype", vet_g, rho)
  lr[[length(lr) + 1]] <- lr_case("veteran_celltype_strat_trt", vet_g, rho, strata = TRUE)
  lr[[length(lr) + 1]] <- lr_case("aml", transform(aml, event = status, group = x), rho)
  lr[[length(lr) + 1]] <- lr_case("ovarian", transform(ova, time = futime, event = fustat, group = rx), rho)
  lr[[length(lr) + 1]] <- lr_case("ties_3groups", ties, rho)
  lr[[length(lr) + 1]] <- lr_case("ties_3groups_strata", ties, rho, strata = TRUE)
}

# Left truncation: survdiff refuses (start, stop] data. The score test of the exact partial
# likelihood (coxph ties = "exact") at beta = 0 is the Mantel-Haenszel log-rank statistic;
# we check that identity on right-censored data here before using it on truncated data.
sc_exact <- function(fit) unname(fit$score)
chk <- coxph(Surv(time, event) ~ factor(group), data = ties, ties = "exact")
stopifnot(abs(sc_exact(chk) - survdiff(Surv(time, event) ~ group, data = ties)$chisq) < 1e-8)
ct <- coxph(Surv(entry, time, event) ~ factor(group), data = trunc, ties = "exact")
lr_trunc <- list(name = "truncated", input = list(time = trunc$time, event = trunc$event,
                 entry = trunc$entry, group = trunc$group),
                 call = paste(deparse(ct$call), collapse = ""), chisq = sc_exact(ct), df = 1,
                 pvalue = pchisq(sc_exact(ct), 1, lower.tail = FALSE))

out <- list(
  call = paste("survfit(Surv([entry, ]time, event) ~ 1, conf.type, [weights, robust = FALSE]);",
               "quantile(fit, probs); summary(fit, times, extend = TRUE);",
               "survdiff(Surv(time, event) ~ group [+ strata(stratum)], rho);",
               "coxph(Surv(entry, time, event) ~ factor(group), ties = 'exact')$score"),
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  expected = list(km = km, logrank = lr, logrank_truncated = lr_trunc)
)
write_json(out, "../fixtures/km_logrank.json", digits = NA, auto_unbox = TRUE, na = "string")
