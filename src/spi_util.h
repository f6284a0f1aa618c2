/*
 * spi_util.h: cached SPI plans and typed result access.
 */
#ifndef STREAMFLOW_SPI_UTIL_H
#define STREAMFLOW_SPI_UTIL_H

#include "postgres.h"
#include "executor/spi.h"

extern SPIPlanPtr KeptPlan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes);
extern Datum SPIValue(int row, int col, bool *isnull);
extern Datum SPIArray(Datum *elems, bool *nulls, int n, Oid elemtype);

#endif
