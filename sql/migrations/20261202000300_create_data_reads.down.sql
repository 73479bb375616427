drop table audit.data_reads;
