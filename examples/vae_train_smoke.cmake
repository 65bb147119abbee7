# The vae_train smoke test (examples/CMakeLists.txt): one short epoch, then
# checks the files it should have written.
#   cmake -DVAE_TRAIN=<exe> -DDATA=<mnist folder> -DOUT=<folder> -P vae_train_smoke.cmake
# Prints "skipped (ZENGEN_SKIP_MISSING_DATA=1)" (the test's SKIP_REGULAR_EXPRESSION)
# when the data folder is missing.
file(REMOVE_RECURSE "${OUT}")
set(ENV{ZENGEN_SKIP_MISSING_DATA} 1)
execute_process(COMMAND "${VAE_TRAIN}" --data "${DATA}" --epochs 1 --limit 512 --out "${OUT}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 77)
  return()
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "vae_train exited with ${rc}")
endif()
foreach(f samples_epoch01.png reconstructions_epoch01.png interpolations.png loss.png loss.csv
          checkpoint.safetensors)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "vae_train did not write ${OUT}/${f}")
  endif()
endforeach()
# --resume with --epochs 1 finds the checkpoint at epoch 1: nothing more to train.
execute_process(COMMAND "${VAE_TRAIN}" --data "${DATA}" --epochs 1 --out "${OUT}" --resume
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "resumed from .*epoch 1")
  message(FATAL_ERROR "vae_train --resume exited with ${rc}")
endif()
