-- The challenge's source tables, exactly as in its schema.sql: the customer's operational schema, not ours to reshape.
CREATE TABLE IF NOT EXISTS public.customers (
  id serial NOT NULL,
  nome text NULL,
  sexo text NULL,
  endereco text NULL,
  telefone text NULL,
  email text NULL,
  foto text NULL,
  nascimento date NULL,
  profissao text NULL,
  dt_update timestamp NULL,
  CONSTRAINT customers_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS public.flight (
  id serial NOT NULL,
  customer_id int NOT NULL,
  aeroporto text NULL,
  linha_aerea text NULL,
  cod_iata text NULL,
  dt_update timestamp NULL,
  CONSTRAINT flight_pkey PRIMARY KEY (id)
);
