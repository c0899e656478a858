# Every table of a package, typed from datapackage.json (Debian: r-cran-readr, r-cran-jsonlite).
library(jsonlite)
library(readr)

package <- fromJSON("datapackage.json", simplifyVector = FALSE)
col_type <- function(field) {
  switch(field$type,
    integer = col_double(),  # R integers are 32-bit; doubles hold whole numbers exactly to 2^53
    number = col_double(),
    boolean = col_logical(),
    date = col_date(),
    col_character())
}
tables <- list()
for (resource in package$resources) {
  if (resource$format != "csv") next
  fields <- resource$schema$fields
  types <- setNames(lapply(fields, col_type), vapply(fields, function(f) f$name, ""))
  table <- read_csv(resource$path, col_types = do.call(cols, types), na = "",
                    locale = locale(encoding = "UTF-8"), progress = FALSE)
  stopifnot(nrow(problems(table)) == 0)
  tables[[resource$name]] <- table
}
str(tables, max.level = 1)
