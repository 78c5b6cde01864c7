# Reference values for plasmatrial.stats.cif (cmprsk::cuminc, timepoints, Gray's test).
# Run from this directory: Rscript cif.R  -> ../fixtures/cif.json
suppressPackageStartupMessages({library(cmprsk); library(survival); library(jsonlite)})

ties <- local({  # heavy ties: integer times, 3 groups, 2 causes, 2 strata, n = 500
  set.seed(20240602)
  n <- 500
  group <- sample(c("A", "B", "C"), n, replace = TRUE)
  stratum <- sample(c("s1", "s2"), n, replace = TRUE)
  t1 <- ceiling(rexp(n, c(A = 0.05, B = 0.03, C = 0.04)[group]))
  t2 <- ceiling(rexp(n, 0.03))
  cc <- ceiling(runif(n, 5, 40))
  tt <- pmin(t1, t2, cc)
  status <- ifelse(cc < pmin(t1, t2), 0, ifelse(t1 <= t2, 1, 2))
  data.frame(time = tt, status = status, group = group, stratum = stratum)
})
example <- local({  # the cmprsk help-page example
  set.seed(2)
  ss <- rexp(100)
  gg <- factor(sample(1:3, 100, replace = TRUE), 1:3, c("a", "b", "c"))
  cc <- sample(0:2, 100, replace = TRUE)
  strt <- sample(1:2, 100, replace = TRUE)
  data.frame(time = ss, status = cc, group = as.character(gg), stratum = strt)
})
mg <- survival::mgus2
mg <- data.frame(time = ifelse(mg$pstat == 0, mg$futime, mg$ptime),
                 status = ifelse(mg$pstat == 0, 2 * mg$death, 1), group = mg$sex, stratum = 1)

one <- function(name, d, strata = FALSE, rho = 0) {
  fit <- if (strata) cuminc(d$time, d$status, d$group, d$stratum, rho = rho)
         else cuminc(d$time, d$status, d$group, rho = rho)
  tests <- fit$Tests
  curves <- fit[names(fit) != "Tests"]
  tp <- sort(unique(c(0, round(quantile(d$time, c(0.1, 0.5, 0.9)), 2), max(d$time) + 1)))
  tps <- timepoints(fit, tp)
  list(name = name, strata = strata, rho = rho,
       input = list(time = d$time, status = d$status, group = as.character(d$group),
                    stratum = as.character(d$stratum)),
       curves = lapply(names(curves), function(nm) list(
         name = nm, time = curves[[nm]]$time, est = curves[[nm]]$est, var = curves[[nm]]$var)),
       timepoints = tp, tp_names = rownames(tps$est),
       tp_est = unname(split(tps$est, row(tps$est))), tp_var = unname(split(tps$var, row(tps$var))),
       tests = list(cause = rownames(tests), stat = unname(tests[, "stat"]),
                    pv = unname(tests[, "pv"]), df = unname(tests[, "df"])),
       pv_upper_tail = pchisq(unname(tests[, "stat"]), unname(tests[, "df"]), lower.tail = FALSE))
}
cases <- list(one("ties", ties), one("ties_strata", ties, strata = TRUE),
              one("ties_rho1", ties, rho = 1), one("cmprsk_example", example),
              one("cmprsk_example_strata", example, strata = TRUE), one("mgus2_sex", mg))
out <- list(call = "cuminc(time, status, group[, strata], rho = rho); timepoints(fit, times)",
            r_version = R.version.string,
            packages = list(cmprsk = as.character(packageVersion("cmprsk")),
                            survival = as.character(packageVersion("survival")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            expected = list(cases = cases))
write_json(out, "../fixtures/cif.json", digits = NA, auto_unbox = TRUE, na = "string")
